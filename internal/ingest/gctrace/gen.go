package gctrace

// The real logs under testdata are recorded by testdata/gen.
//go:generate go run ./testdata/gen -o testdata/real-go126.log -gobuild testdata/gobuild-multiprocess.log -pkg encoding/json
