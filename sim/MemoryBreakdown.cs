using System.Reflection;
using Overlay.Dht;
using Overlay.Transport.InMemory;

namespace Overlay.Sim;

/// <summary>
/// Heap breakdown of a formed network by release: each step swaps one kind of per-node structure for a
/// fresh empty one in every node, collects fully, and attributes the drop to that structure. It destroys
/// the nodes' state, so it runs last. Reflection keeps this measurement out of the node's own code.
/// </summary>
internal static class MemoryBreakdown
{
    private static readonly (string Name, string[] Path)[] Steps =
    [
        ("rate limiter (per-peer token buckets)", ["_limiter", "_buckets"]),
        ("RTT filter windows and peer coordinates", ["_vivaldi", "_filter"]),
        ("routing table buckets, contacts, addresses", ["_table", "_buckets"]),
        ("routing table group counts", ["_table", "_diversity", "_counts"]),
        ("lookup maintenance tasks", ["_client", "_maintenance"]),
        ("record store", ["_store", "_values", "_records"]),
        ("connection pool maps", ["_network", "_pool", "_byPeer"]),
        ("connection pool LRU", ["_network", "_pool", "_lru"]),
    ];

    public static void Run(DhtNode[] nodes, InMemoryTransport[] transports, long floor, Action<string> line)
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        line($"heap breakdown by release, {nodes.Length} nodes (bytes per node):");
        foreach (var (name, path) in Steps)
        {
            foreach (var node in nodes)
            {
                Replace(node, path);
            }

            var after = GC.GetTotalMemory(forceFullCollection: true);
            line($"  {name,-45} {(before - after) / (double)nodes.Length,8:F0}");
            before = after;
        }

        foreach (var t in transports)
        {
            Replace(t, ["_links"]);
        }

        var links = GC.GetTotalMemory(forceFullCollection: true);
        line($"  {"in-memory transport link sets",-45} {(before - links) / (double)nodes.Length,8:F0}");
        line($"  {"rest (node objects, meter, timers, pool)",-45} {(links - floor) / (double)nodes.Length,8:F0}");
    }

    private static void Replace(object owner, string[] path)
    {
        var target = owner;
        for (var i = 0; i < path.Length - 1; i++)
        {
            target = Unguarded(Field(target, path[i]).GetValue(target)!);
        }

        var field = Field(target, path[^1]);
        var value = field.GetValue(target);
        if (value is Array array)
        {
            field.SetValue(target, Array.CreateInstance(array.GetType().GetElementType()!, array.Length));
        }
        else if (value is not null)
        {
            // An empty shell is enough: nothing calls into the nodes after the breakdown.
            field.SetValue(target, System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(value.GetType()));
        }
    }

    // The node keeps its routing table, store, coordinates and limiter each inside a Guarded<T> with its lock.
    private static object Unguarded(object value) =>
        value.GetType() is { IsGenericType: true } type && type.GetGenericTypeDefinition() == typeof(Guarded<>)
            ? Field(value, "_value").GetValue(value)!
            : value;

    private static FieldInfo Field(object target, string name) =>
        target.GetType().GetField(name, BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new InvalidOperationException($"{target.GetType().Name} has no field {name}.");
}
