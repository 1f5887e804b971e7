-- The reading of an application's screenshots by OCR (internal/evidence
-- ReadScreenshot), done in the background after the application is
-- submitted: 'pending' until a reader appends its findings to findings
-- and sets 'done'. A reader claims an application under a lease, as the
-- outbox claims messages; read_attempts fences what it records, so a
-- reader whose lease ran out and was taken over records nothing.
-- Applications that ended before this change are not read.
ALTER TABLE applications ADD COLUMN reading TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE applications ADD COLUMN read_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE applications ADD COLUMN read_lease_until BIGINT;
UPDATE applications SET reading = 'done' WHERE state <> 'under_review';
CREATE INDEX applications_reading ON applications (reading, submitted_at);
