package main

// alertFlags are the console's alerts when a call starts ringing that it may
// act on (ui/alert.go); consoleCmd embeds them. A read-only console and
// --json never ring: neither has anything to act on.
type alertFlags struct {
	Bell   bool   `default:"true" negatable:"" help:"Ring the terminal bell when a call starts ringing that this console may act on; calls that start ringing within a second share one bell. --no-bell turns it off."`
	Notify string `enum:"off,auto,osc9,osc777" default:"off" help:"Also ask the terminal for a desktop notification naming the caller and queue: osc9 (iTerm2, Ghostty, kitty), osc777 (WezTerm, foot, rxvt-unicode, Konsole, Windows Terminal), auto (chosen from TERM_PROGRAM and TERM; none where unknown) or off."`
}
