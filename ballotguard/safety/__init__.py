"""The candidate's safety companion: guidance library, personal safety plan, civility pledge."""
