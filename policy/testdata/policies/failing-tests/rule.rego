package hallmark.rules.limit

deny contains "too many packages" if count(input.inventory.packages) > 2
