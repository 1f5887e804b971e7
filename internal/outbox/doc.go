// Package outbox queues emails and SMS in the database, in the same
// transaction as the change that caused them, and delivers them from a
// worker with retries and exponential backoff. Several instances may run
// workers against one database: a message is claimed by one worker at a
// time, under a lease.
package outbox
