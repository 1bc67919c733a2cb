using System.Globalization;
using System.Net;

namespace Overlay.Transport.Admission;

/// <summary>One connection turned away: why, and the limit that decided it.</summary>
/// <param name="Reason">Why.</param>
/// <param name="Remote">The remote address.</param>
/// <param name="Limit">The limit in force (per address for <see cref="RefusalReason.AddressLimit"/>, the global budget otherwise).</param>
internal readonly record struct ConnectionRefusal(RefusalReason Reason, IPAddress Remote, int Limit)
{
    /// <summary>The reason as it goes on the wire and into counters: <c>address_limit</c>, <c>pending_limit</c>.</summary>
    public string Token => TokenOf(Reason);

    public static string TokenOf(RefusalReason reason) => reason == RefusalReason.AddressLimit ? "address_limit" : "pending_limit";

    /// <summary>One sentence for the listener's log.</summary>
    public string Describe()
    {
        var scope = AddressScopes.Of(Remote);
        return Reason == RefusalReason.AddressLimit
            ? string.Create(CultureInfo.InvariantCulture,
                $"refused a connection from {Remote}: this {scope.ToString().ToLowerInvariant()} address already holds {Limit} connections, the limit {TransportOptions.KeyOfLimit(scope)}, none of them both unauthenticated and older than {InboundAdmission.AddressShedGrace.TotalSeconds:0} s ({Token})")
            : string.Create(CultureInfo.InvariantCulture,
                $"closed an unauthenticated connection from {Remote} to make room: {Limit} were waiting, the limit for its address or set by Transport:MaxPendingHandshakes, and it was the oldest of them that had sent nothing (or, failing that, the oldest in its handshake) ({Token})");
    }
}
