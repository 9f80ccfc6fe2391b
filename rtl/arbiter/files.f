RRArbiter_n5.v
