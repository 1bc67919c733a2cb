namespace Overlay.Dht.Wire;

/// <summary>Why <see cref="DhtMessageCodec.TryDecode"/> refused some bytes.</summary>
public enum DhtWireError
{
    /// <summary>Decoded.</summary>
    None,

    /// <summary>Fewer bytes than the header or a declared field needs.</summary>
    TooShort,

    /// <summary>The version byte is not <see cref="DhtMessageCodec.Version"/>.</summary>
    UnsupportedVersion,

    /// <summary>The type byte is not a <see cref="DhtMessageType"/>.</summary>
    UnknownType,

    /// <summary>An address is longer than <see cref="DhtMessageCodec.MaxAddressBytes"/> or does not parse.</summary>
    BadAddress,

    /// <summary>More contacts or providers than k.</summary>
    TooManyEntries,

    /// <summary>An embedded record failed to decode or exceeds the configured limits.</summary>
    BadRecord,

    /// <summary>A record of the wrong kind for its place (a provider record where a value record belongs).</summary>
    WrongRecordKind,

    /// <summary>The verdict or error code byte is out of range.</summary>
    BadCode,

    /// <summary>The coordinate is not finite or out of range.</summary>
    BadCoordinate,

    /// <summary>Bytes follow the end of the message.</summary>
    TrailingBytes,
}
