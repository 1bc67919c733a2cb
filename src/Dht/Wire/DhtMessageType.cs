namespace Overlay.Dht.Wire;

/// <summary>The type byte of a DHT message. Requests are below 0x80, responses at or above it.</summary>
public enum DhtMessageType : byte
{
    /// <summary>Liveness check; answered by <see cref="Pong"/>.</summary>
    Ping = 0x01,

    /// <summary>Asks for the k closest contacts to a 32-byte target; answered by <see cref="Nodes"/>.</summary>
    FindNode = 0x02,

    /// <summary>Asks for the record and providers under a key, plus closer contacts; answered by <see cref="Value"/>.</summary>
    FindValue = 0x03,

    /// <summary>Asks the receiver to keep a value or provider record; answered by <see cref="Stored"/>.</summary>
    Store = 0x04,

    /// <summary>Answer to <see cref="Ping"/>.</summary>
    Pong = 0x81,

    /// <summary>Answer to <see cref="FindNode"/>: contacts, closest to the target first.</summary>
    Nodes = 0x82,

    /// <summary>Answer to <see cref="FindValue"/>: optional record, providers, contacts.</summary>
    Value = 0x83,

    /// <summary>Answer to <see cref="Store"/>: the receiver's verdict.</summary>
    Stored = 0x84,

    /// <summary>The request was refused; carries a <see cref="DhtErrorCode"/>.</summary>
    Error = 0xFF,
}
