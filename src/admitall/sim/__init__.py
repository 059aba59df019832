"""The digital twin: an outbreak and a city's operations played hour by hour through AdmitAll's own services."""
