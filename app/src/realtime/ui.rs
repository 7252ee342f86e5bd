//! Realtime UI pieces: the connection banner, presence dots and the typing line.
