package password

import "syscall"

// lowerThread sets the calling thread's nice value to at least nice (on
// Linux a priority set by thread id applies to that thread alone). A thread
// already at nice or lower priority is left as it is: raising a priority
// needs a privilege the server should not have.
func lowerThread(nice int) error {
	tid := syscall.Gettid()
	// The system call answers 20 - nice, so that it is never negative.
	raw, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
	if err != nil {
		return err
	}
	if 20-raw >= nice {
		return nil
	}
	return syscall.Setpriority(syscall.PRIO_PROCESS, tid, nice)
}
