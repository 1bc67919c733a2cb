using Overlay.Crypto;
using Overlay.Placement.Capacity;

namespace Overlay.Node.Trust;

/// <summary>
/// This node's own capacity record, signed when a peer asks and the one held is older than
/// <c>Placement:CapacityRecordInterval</c>: at most one signature per interval, however many peers ask.
/// <paramref name="measure"/> says what the node offers now (free bytes one owner may place, and the store's size),
/// or null while the store is not open. Thread-safe.
/// </summary>
public sealed class OwnCapacityRecord(NodeIdentity identity, Func<(long Free, long Total)?> measure, TimeSpan interval, TimeProvider time)
{
    private readonly Lock _gate = new();
    private CapacityRecord? _current;
    private byte[] _encoded = [];

    /// <summary>The identity key that verifies the record.</summary>
    public IdentityPublicKey Key => identity.PublicKey;

    /// <summary>The encoded record to serve now, signed anew when due; false while the node has nothing to state.</summary>
    public bool TryGet(out byte[] encoded)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (_current is null || _current.IssuedAt + interval <= now)
            {
                if (measure() is not { } room)
                {
                    encoded = _encoded;
                    return _current is not null;
                }

                var total = Math.Clamp(room.Total, 0, CapacityRecordCodec.MaxTotalBytes);
                _current = CapacityRecord.Sign(identity, now, Math.Clamp(room.Free, 0, total), total);
                _encoded = CapacityRecordCodec.Encode(_current);
            }

            encoded = _encoded;
            return true;
        }
    }
}
