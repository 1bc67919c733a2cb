using System.Globalization;

namespace Overlay.Transport;

/// <summary>
/// A protocol as it travels on the wire: its registered <see cref="Number"/> (the protocol byte of every
/// request, message and stream header; docs/PROTOCOL.md keeps the registry), its <see cref="Name"/>
/// (<c>name/version</c>, for people and logs) and its <see cref="TrafficClass"/>. A new incompatible
/// version of a protocol is a new protocol with a number of its own.
/// </summary>
public sealed record ProtocolId
{
    /// <summary>Creates a protocol id.</summary>
    /// <param name="number">The registered number, 1–255 (0 means "no protocol" on the wire).</param>
    /// <param name="name">The registered name, <c>name/version</c>, e.g. <c>dht/1</c>.</param>
    /// <param name="trafficClass">How the protocol's traffic is scheduled.</param>
    public ProtocolId(byte number, string name, TrafficClass trafficClass)
    {
        ArgumentOutOfRangeException.ThrowIfZero(number);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!Enum.IsDefined(trafficClass))
        {
            throw new ArgumentOutOfRangeException(nameof(trafficClass), trafficClass, "Unknown traffic class.");
        }

        Number = number;
        Name = name;
        Class = trafficClass;
    }

    /// <summary>The number carried on the wire, 1–255.</summary>
    public byte Number { get; }

    /// <summary>The protocol's name and version, e.g. <c>dht/1</c>.</summary>
    public string Name { get; }

    /// <summary>How the protocol's traffic is scheduled; bulk protocols carry streams only.</summary>
    public TrafficClass Class { get; }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name} ({Number})");
}
