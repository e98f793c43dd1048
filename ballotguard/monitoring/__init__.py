"""Online abuse monitoring: messages sent to candidates, their abuse/threat/exposure scores, and the review queue."""
