package hallmark.rules.notests

deny contains "never" if false
