package hallmark.rules.member

# A violation must be a message or an object with msg; a number is a policy bug, found at run
# time, and the decision fails closed.
deny contains count(input.findings) if true
