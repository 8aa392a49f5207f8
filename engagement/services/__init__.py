"""Every write and rule of domain warm-up: the plan (plan.py), sending (sending.py), the seed
sweep (sweep.py) and the seed network (seeds.py)."""
