/* softp4's core library for P4-16: the declarations every P4-16 program
 * shares (P4-16 language specification, appendix "core library").
 * Written for softp4; names and signatures follow the specification. */

#ifndef _CORE_P4_
#define _CORE_P4_

/* Errors the packet parser may signal.  Their order fixes their numeric
 * values in the BMv2 JSON: NoError is 0. */
error {
    NoError,               // no error
    PacketTooShort,        // the packet ended before a header was complete
    NoMatch,               // a select expression had no matching case
    StackOutOfBounds,      // a header stack index was past its size
    HeaderTooShort,        // a varbit extraction asked for more than the field holds
    ParserTimeout,         // the parser ran longer than the target allows
    ParserInvalidArgument  // a parser operation got an argument it cannot use
}

/* The packet as seen by a parser. */
extern packet_in {
    /* Take a fixed-size header off the front of the packet. */
    void extract<T>(out T hdr);
    /* Take a header with one varbit field whose size (in bits) is given. */
    void extract<T>(out T variableSizeHeader, in bit<32> variableFieldSizeInBits);
    /* Read bits ahead without consuming them. */
    T lookahead<T>();
    /* Skip bits. */
    void advance(in bit<32> sizeInBits);
    /* Total packet length in bytes (not available on every target). */
    bit<32> length();
}

/* The packet as built by a deparser. */
extern packet_out {
    /* Append a header (if valid), a stack, a union or a struct of them. */
    void emit<T>(in T hdr);
}

/* In a parser: when check is false, stop parsing with the given error. */
extern void verify(in bool check, in error toSignal);

/* The action that does nothing (P4Info lists its annotation, as p4c 1.2.5.16 writes it). */
@noWarn("unused")
action NoAction() {}

/* Match kinds every target knows. */
match_kind {
    exact,    // the key equals the entry's value
    ternary,  // the key equals the value where the mask has ones
    lpm       // longest prefix match
}

/* Compile-time assertions. */
extern bool static_assert(bool check, string message);
extern bool static_assert(bool check);

#endif  /* _CORE_P4_ */
