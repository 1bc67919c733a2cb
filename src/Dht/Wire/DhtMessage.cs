using Overlay.Crypto;
using Overlay.Dht.Coordinates;
using Overlay.Dht.Records;

namespace Overlay.Dht.Wire;

/// <summary>
/// A decoded DHT message. Which members are meaningful depends on <see cref="Type"/>; the others keep
/// their defaults. Built by <see cref="DhtMessageCodec.TryDecode"/>.
/// </summary>
public sealed class DhtMessage
{
    /// <summary>The message type.</summary>
    public DhtMessageType Type { get; init; }

    /// <summary>Requests: the address the sender listens on, or null when it does not accept connections.</summary>
    public string? SenderAddress { get; init; }

    /// <summary>FIND_NODE and FIND_VALUE: the target id or record key.</summary>
    public PeerId Target { get; init; }

    /// <summary>STORE: the value record to keep. VALUE: the record found, if any.</summary>
    public DhtRecord? Record { get; init; }

    /// <summary>STORE: the provider record to keep.</summary>
    public ProviderRecord? Provider { get; init; }

    /// <summary>STORE: the provider batch to keep.</summary>
    public ProviderBatch? ProviderBatch { get; init; }

    /// <summary>VALUE: provider records held for the key.</summary>
    public IReadOnlyList<ProviderRecord> Providers { get; init; } = [];

    /// <summary>NODES and VALUE: contacts, closest to the target first.</summary>
    public IReadOnlyList<DhtPeer> Contacts { get; init; } = [];

    /// <summary>STORED: the receiver's verdict (<see cref="RecordRejection.None"/> means kept).</summary>
    public RecordRejection Verdict { get; init; }

    /// <summary>ERROR: why the request was refused.</summary>
    public DhtErrorCode ErrorCode { get; init; }

    /// <summary>Responses: the responder's network coordinate (milliseconds).</summary>
    public VivaldiCoordinate Coordinate { get; init; }

    /// <summary>Responses: the responder's relative coordinate error (0 to 1.5).</summary>
    public double CoordinateError { get; init; }
}
