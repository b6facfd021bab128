package demo

import "ringside/providers"

// Colleagues is the directory the demo offers when no --directory is given,
// so that t shows a picker with people and queues to choose from on the
// first run. The queues are the ones calls arrive through, with their
// resource accounts; the people are the agent's teammates. Numbers come
// from fiction ranges (+1 425 555 01xx), as everywhere in the simulation.
func Colleagues() []providers.Target {
	out := make([]providers.Target, 0, len(teammates)+len(queues)+1)
	out = append(out, teammates...)
	for i, q := range queues {
		out = append(out, providers.Target{
			Name:          q.name + " queue",
			Kind:          providers.TargetQueue,
			GraphID:       q.id,
			GenesysNumber: "70" + string(rune('1'+i)),
		})
	}
	return append(out, providers.Target{Name: "Reception", Kind: providers.TargetPhone, Phone: "+14255550100"})
}

// teammates are the agent's colleagues, each a Teams user with an
// extension on the switch.
var teammates = []providers.Target{
	{Name: "Priya Natarajan", Kind: providers.TargetUser, GraphID: "1c4e7a90-3b2d-4f85-a6e1-0d9c8b7f5a23", GenesysNumber: "5002"},
	{Name: "Tom Becker", Kind: providers.TargetUser, GraphID: "8e2f5b17-6a4c-4d93-b0e8-7c1d3f9a2e64", GenesysNumber: "5003"},
	{Name: "Grace Mensah", Kind: providers.TargetUser, GraphID: "4a9d2c63-1e7b-4085-9f3a-6b8e0c5d7f12", GenesysNumber: "5004"},
	{Name: "Mateo Alvarez", Kind: providers.TargetUser, GraphID: "d7b3e5f2-9c1a-4e68-8b40-2f6a1d9c3e85", GenesysNumber: "5005"},
	{Name: "Supervisor on duty", Kind: providers.TargetUser, GraphID: "6f0a8c4e-2d5b-4197-a3c6-9e7d1b4f8a30", GenesysNumber: "5900"},
}
