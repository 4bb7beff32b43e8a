module example.com/hallmark/fixture

go 1.22

require (
	github.com/google/uuid v1.6.0
	golang.org/x/net v0.7.0
	golang.org/x/text v0.7.0
)
