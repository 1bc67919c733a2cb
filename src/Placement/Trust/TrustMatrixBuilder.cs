using Overlay.Crypto;

namespace Overlay.Placement.Trust;

/// <summary>
/// Assembles a <see cref="TrustMatrix"/> from the node's own row, the rows of the records it collected and
/// the pre-trusted peers. A later row for the same issuer replaces the earlier one. Not thread-safe.
/// </summary>
public sealed class TrustMatrixBuilder
{
    private readonly Dictionary<PeerId, LocalTrustVector> _rows = new();
    private readonly Dictionary<PeerId, double> _preTrusted = new();
    private readonly HashSet<PeerId> _peers = new();

    /// <summary>Sets <paramref name="issuer"/>'s row; entries naming the issuer itself are left out.</summary>
    public TrustMatrixBuilder AddRow(PeerId issuer, LocalTrustVector row)
    {
        ArgumentNullException.ThrowIfNull(row);
        _rows[issuer] = row;
        return this;
    }

    /// <summary>Adds the row of every record.</summary>
    public TrustMatrixBuilder AddRecords(IEnumerable<TrustRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        foreach (var record in records)
        {
            AddRow(record.Issuer, record.Vector);
        }

        return this;
    }

    /// <summary>Marks <paramref name="peer"/> as pre-trusted with weight 1: p is uniform over pre-trusted peers added without weights.</summary>
    public TrustMatrixBuilder AddPreTrusted(PeerId peer) => AddPreTrusted(peer, 1);

    /// <summary>
    /// Adds a pre-trusted peer with a relative <paramref name="weight"/>: p is proportional to the weights (summed when a
    /// peer is added twice) rather than uniform. A positive, finite weight is required.
    /// </summary>
    public TrustMatrixBuilder AddPreTrusted(PeerId peer, double weight)
    {
        if (!(weight > 0 && double.IsFinite(weight)))
        {
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "A pre-trust weight is positive and finite.");
        }

        _preTrusted[peer] = _preTrusted.GetValueOrDefault(peer) + weight;
        return this;
    }

    /// <summary>Marks every peer of <paramref name="peers"/> as pre-trusted.</summary>
    public TrustMatrixBuilder AddPreTrusted(IEnumerable<PeerId> peers)
    {
        ArgumentNullException.ThrowIfNull(peers);
        foreach (var peer in peers)
        {
            AddPreTrusted(peer, 1);
        }

        return this;
    }

    /// <summary>Makes <paramref name="peer"/> part of the matrix even if no row names it (it gets the trust the others give it, possibly none).</summary>
    public TrustMatrixBuilder AddPeer(PeerId peer)
    {
        _peers.Add(peer);
        return this;
    }

    /// <summary>Builds the matrix: peers in PeerId order, each row renormalised in double precision.</summary>
    public TrustMatrix Build()
    {
        var all = new HashSet<PeerId>(_peers);
        all.UnionWith(_preTrusted.Keys);
        var entryCount = 0;
        foreach (var (issuer, row) in _rows)
        {
            all.Add(issuer);
            foreach (var entry in row.Entries)
            {
                all.Add(entry.Peer);
            }

            entryCount += row.Count;
        }

        var peers = new PeerId[all.Count];
        all.CopyTo(peers);
        Array.Sort(peers);
        var index = new Dictionary<PeerId, int>(peers.Length);
        for (var i = 0; i < peers.Length; i++)
        {
            index[peers[i]] = i;
        }

        var rowStart = new int[peers.Length + 1];
        var columns = new int[entryCount];
        var values = new float[entryCount];
        var at = 0;
        for (var i = 0; i < peers.Length; i++)
        {
            rowStart[i] = at;
            if (!_rows.TryGetValue(peers[i], out var row))
            {
                continue;
            }

            var start = at;
            var sum = 0.0;
            foreach (var entry in row.Entries)
            {
                if (entry.Peer == peers[i] || !(entry.Value > 0))
                {
                    continue;
                }

                columns[at] = index[entry.Peer];
                values[at] = entry.Value;
                sum += entry.Value;
                at++;
            }

            for (var k = start; k < at; k++)
            {
                values[k] = (float)(values[k] / sum);
            }
        }

        rowStart[peers.Length] = at;
        if (at < entryCount)
        {
            Array.Resize(ref columns, at);
            Array.Resize(ref values, at);
        }

        var preTrusted = new int[_preTrusted.Count];
        var preTrust = new double[_preTrusted.Count];
        var p = 0;
        var total = 0.0;
        foreach (var (peer, weight) in _preTrusted)
        {
            preTrusted[p] = index[peer];
            preTrust[p++] = weight;
            total += weight;
        }

        for (var k = 0; k < preTrust.Length; k++)
        {
            preTrust[k] /= total;
        }

        Array.Sort(preTrusted, preTrust);
        return new TrustMatrix(peers, index, rowStart, columns, values, preTrusted, preTrust);
    }
}
