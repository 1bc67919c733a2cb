using Overlay.Crypto;
using Overlay.Dht.Persistence;
using Overlay.Dht.Routing;

namespace Overlay.Node.Reachability;

/// <summary>
/// How well the routing table can serve lookups: contacts, buckets with at least one contact, and contacts
/// that failed their last request (stale: the table replaces them when it has someone better).
/// </summary>
/// <param name="Contacts">Contacts in the table.</param>
/// <param name="BucketsFilled">Buckets (by shared prefix length with this node's id) holding at least one contact.</param>
/// <param name="Stale">Contacts with at least one failed request since they last answered.</param>
/// <param name="OldestSeen">When the contact heard from least recently last answered; null without contacts.</param>
public readonly record struct RoutingHealth(int Contacts, int BucketsFilled, int Stale, DateTimeOffset? OldestSeen)
{
    /// <summary>Fewer contacts than this make lookups fragile: a few departures leave the node with nobody to ask.</summary>
    public const int MinimumContacts = 8;

    /// <summary>The health of <paramref name="contacts"/>, a routing table of the node <paramref name="self"/>.</summary>
    public static RoutingHealth Of(PeerId self, IReadOnlyList<ContactSnapshot> contacts)
    {
        ArgumentNullException.ThrowIfNull(contacts);
        var buckets = new HashSet<int>();
        var stale = 0;
        DateTimeOffset? oldest = null;
        foreach (var c in contacts)
        {
            buckets.Add(Math.Min(self.Xor(c.Id).LeadingZeroCount(), RoutingTable.BucketCount - 1));
            stale += c.FailedRequests > 0 ? 1 : 0;
            oldest = oldest is { } o && o <= c.LastSeen ? o : c.LastSeen;
        }

        return new RoutingHealth(contacts.Count, buckets.Count, stale, oldest);
    }
}
