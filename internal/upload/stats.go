package upload

// Counters of the decoding slots, read by tests and benchmarks outside this
// package (a server's processor is reached through reset.Service.Uploads),
// so they can check that uploads through the whole service keep to the
// bound the slots set. They are cumulative over the processor's life.

// Concurrency returns how many decodes the processor runs at once at most.
func (p *Processor) Concurrency() int { return cap(p.slots) }

// PeakDecodes returns the most decodes that have run at once.
func (p *Processor) PeakDecodes() int { return int(p.peak.Load()) }

// Decodes returns how many decodes have started.
func (p *Processor) Decodes() int64 { return p.decodes.Load() }
