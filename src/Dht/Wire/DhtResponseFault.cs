namespace Overlay.Dht.Wire;

/// <summary>Why a response was dropped and held against the peer that sent it.</summary>
public enum DhtResponseFault
{
    /// <summary>The bytes did not decode (see <see cref="DhtWireError"/>).</summary>
    Malformed,

    /// <summary>A well-formed response of the wrong type for the request.</summary>
    UnexpectedType,

    /// <summary>Contacts not in order of XOR distance to the target, as the protocol requires.</summary>
    ContactsNotCloser,

    /// <summary>The same contact twice in one answer.</summary>
    DuplicateContact,

    /// <summary>A record or provider record under another key than the one asked for.</summary>
    WrongKey,

    /// <summary>A record that fails validation: bad signature, expired, publisher not matching.</summary>
    InvalidRecord,

    /// <summary>The peer answered with an ERROR reply.</summary>
    ErrorReply,
}
