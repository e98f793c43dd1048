"""Demo data: a realistic election with fake people in real places, and one demo login per role."""
