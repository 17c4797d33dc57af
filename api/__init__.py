"""The HTTP face of footcast: a Falcon WSGI app that sends messages onto the bus."""
