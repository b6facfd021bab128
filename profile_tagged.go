//go:build ringside_profile

// This file is compiled only with -tags ringside_profile, for measuring the
// program under load from outside (BenchmarkWebhookOutOfProcess
// -round-profile). Ordinary builds have none of it.
//
// With RINGSIDE_CPUPROFILE=FILE the process records a CPU profile from its
// start; SIGUSR1 ends it and writes FILE, and the allocations so far to
// FILE.allocs. Each file appears under its name only once complete, so a
// reader waits for the name instead of guessing when writing has ended.

package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

func init() {
	path := os.Getenv("RINGSIDE_CPUPROFILE")
	if path == "" {
		return
	}
	f, err := os.Create(path + ".part")
	if err != nil {
		fmt.Fprintln(os.Stderr, "ringside: cpu profile:", err)
		os.Exit(exitUsage)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "ringside: cpu profile:", err)
		os.Exit(exitUsage)
	}
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	go func() {
		<-usr1
		signal.Stop(usr1)
		pprof.StopCPUProfile()
		if err := closeAs(f, path); err != nil {
			fmt.Fprintln(os.Stderr, "ringside: cpu profile:", err)
		}
		if err := writeProfile("allocs", path+".allocs"); err != nil {
			fmt.Fprintln(os.Stderr, "ringside: allocation profile:", err)
		}
	}()
}

// writeProfile writes the named runtime profile to path, complete or not at all.
func writeProfile(name, path string) error {
	f, err := os.Create(path + ".part")
	if err != nil {
		return err
	}
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return closeAs(f, path)
}

// closeAs closes f (named path.part) and gives it its final name.
func closeAs(f *os.File, path string) error {
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(path+".part", path)
}
