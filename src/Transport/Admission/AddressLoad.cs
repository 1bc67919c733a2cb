namespace Overlay.Transport.Admission;

/// <summary>What one remote address holds in an <see cref="InboundAdmission"/>: its pending connections and how many are established.</summary>
internal sealed class AddressLoad
{
    public PendingQueue Pending { get; } = new();

    public int Established { get; set; }

    public int Total => Pending.Count + Established;
}
