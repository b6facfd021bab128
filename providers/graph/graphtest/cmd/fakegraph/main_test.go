package main

import "testing"

func TestLoopbackOnly(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:8443/api/calls", "tcp://localhost:9444", "http://[::1]:8443/x", "tcp://127.0.0.2:1"} {
		if err := loopbackOnly("-x", ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://example.com/api", "tcp://10.0.0.1:1", "http://192.168.1.2:8443/", "tcp://0.0.0.0:9444"} {
		if err := loopbackOnly("-x", bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
