"""What one visitor's session keeps (state) and the session's training (runs): start, stop, status."""
