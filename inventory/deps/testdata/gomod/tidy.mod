module example.com/lockgen

go 1.26.0

replace github.com/google/go-cmp => github.com/google/go-cmp v0.6.0

require (
	github.com/google/go-cmp v0.6.0
	golang.org/x/tools v0.52.0
)

require (
	golang.org/x/mod v0.42.0 // indirect
	golang.org/x/sync v0.24.0 // indirect
)
