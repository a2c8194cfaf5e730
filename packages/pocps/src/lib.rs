//! PoCPS core (work in progress).
