SatAcc_i8_a16.v
