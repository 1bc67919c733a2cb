using Overlay.Crypto;

namespace Overlay.Placement;

/// <summary>
/// The peers' identity keys one node holds, one copy per identity, shared by everything in the node that keeps a
/// peer's key to check its later signatures (the capacity book and the <c>trust/1</c> records). Each holder counts
/// itself in with <see cref="Hold"/> and out with <see cref="Release"/>; the key is forgotten with its last holder.
/// Thread-safe; it calls nothing while locked, so a holder may call it under its own lock.
/// </summary>
/// <remarks>
/// A hybrid key is 1,985 bytes, and a node's contacts are often also the issuers of the trust rows it keeps: held
/// apart, such a peer's key would be held twice, and offered twice over the wire. A key is found by its PeerId, which
/// is the hash of its encoding, so two keys with one PeerId are the same key.
/// </remarks>
public sealed class IdentityKeyring
{
    private readonly Dictionary<PeerId, Held> _keys = [];
    private readonly Lock _gate = new();

    /// <summary>Identities whose key is held.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _keys.Count;
            }
        }
    }

    /// <summary>The key of <paramref name="peer"/> if a holder in this node keeps it, else null.</summary>
    public IdentityPublicKey? Find(PeerId peer)
    {
        lock (_gate)
        {
            return _keys.GetValueOrDefault(peer)?.Key;
        }
    }

    /// <summary>
    /// Counts one more holder of <paramref name="key"/>'s identity and returns the one copy held for it: the copy held
    /// already, else <paramref name="key"/>. The caller keeps the returned copy and calls <see cref="Release"/> once when it lets go.
    /// </summary>
    public IdentityPublicKey Hold(IdentityPublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
        {
            if (!_keys.TryGetValue(key.PeerId, out var held))
            {
                held = new Held(key);
                _keys[key.PeerId] = held;
            }

            held.Holders++;
            return held.Key;
        }
    }

    /// <summary>Counts one holder of <paramref name="peer"/>'s key fewer; the key is forgotten with the last. A peer not held is ignored.</summary>
    public void Release(PeerId peer)
    {
        lock (_gate)
        {
            if (_keys.TryGetValue(peer, out var held) && --held.Holders == 0)
            {
                _keys.Remove(peer);
            }
        }
    }

    private sealed class Held(IdentityPublicKey key)
    {
        public IdentityPublicKey Key { get; } = key;

        public int Holders { get; set; }
    }
}
