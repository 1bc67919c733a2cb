namespace Overlay.Dht.Routing;

/// <summary>
/// How many of a routing table's contacts each network group (IPv4 /24, IPv6 /48) holds, for the table-wide
/// diversity limit. Contacts of unknown group are not counted.
/// </summary>
internal sealed class NetworkGroupCounts
{
    private readonly Dictionary<NetworkGroup, int> _counts = [];

    /// <summary>The contacts of <paramref name="group"/> in the table.</summary>
    public int Of(NetworkGroup group) => _counts.GetValueOrDefault(group);

    /// <summary>Counts a contact of <paramref name="group"/> that joined the table.</summary>
    public void Add(NetworkGroup group)
    {
        if (!group.IsUnknown)
        {
            _counts[group] = Of(group) + 1;
        }
    }

    /// <summary>Uncounts a contact of <paramref name="group"/> that left the table; a group with none left is forgotten.</summary>
    public void Remove(NetworkGroup group)
    {
        if (group.IsUnknown)
        {
            return;
        }

        var left = _counts[group] - 1;
        if (left == 0)
        {
            _counts.Remove(group);
        }
        else
        {
            _counts[group] = left;
        }
    }
}
