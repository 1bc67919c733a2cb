namespace Overlay.Dht.Routing;

/// <summary>
/// The routing table's network-group diversity limits, which make an eclipse cost addresses in many
/// networks: at most <see cref="DhtOptions.MaxContactsPerGroupPerBucket"/> contacts of one group (IPv4 /24,
/// IPv6 /48) in a bucket and <see cref="DhtOptions.MaxContactsPerGroupInTable"/> in the whole table;
/// contacts of unknown group are never refused. Keeps the table-wide count of each group. Owned by one
/// <see cref="RoutingTable"/> and called only by it, so by the table's one owner.
/// </summary>
internal sealed class GroupDiversity(DhtOptions options)
{
    private readonly NetworkGroupCounts _counts = new();

    /// <summary>Why a contact of <paramref name="group"/> may not join bucket <paramref name="b"/>, or null when it may.</summary>
    public ObserveOutcome? Refusal(KBucket b, NetworkGroup group)
    {
        if (group.IsUnknown)
        {
            return null;
        }

        if (b.CountGroup(group) >= options.MaxContactsPerGroupPerBucket)
        {
            return ObserveOutcome.RejectedGroupLimitInBucket;
        }

        if (_counts.Of(group) >= options.MaxContactsPerGroupInTable)
        {
            return ObserveOutcome.RejectedGroupLimitInTable;
        }

        return null;
    }

    /// <summary>
    /// True when <paramref name="newcomer"/> may take the slot of <paramref name="victim"/> in bucket
    /// <paramref name="b"/>: a contact of the same group leaves, or the newcomer's group is unknown or has room under both limits.
    /// </summary>
    public bool AllowsSwap(KBucket b, Contact victim, Contact newcomer) =>
        victim.Group == newcomer.Group || newcomer.Group.IsUnknown ||
        (b.CountGroup(newcomer.Group) < options.MaxContactsPerGroupPerBucket && _counts.Of(newcomer.Group) < options.MaxContactsPerGroupInTable);

    /// <summary>Counts a contact of <paramref name="group"/> that joined the table.</summary>
    public void Joined(NetworkGroup group) => _counts.Add(group);

    /// <summary>Uncounts a contact of <paramref name="group"/> that left the table.</summary>
    public void Left(NetworkGroup group) => _counts.Remove(group);
}
