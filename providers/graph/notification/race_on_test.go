//go:build race

package notification

// raceDetector says the tests run under the race detector, whose sync.Pool
// drops what it is given now and then: allocation counts mean nothing there.
const raceDetector = true
