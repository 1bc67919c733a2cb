namespace Overlay.Dht;

/// <summary>
/// A structure that is not thread-safe (the routing table, the record store, the rate limiter) together with
/// the one lock that guards it. The lock is private: code reaches the structure only through
/// <see cref="Enter"/>, so there is one documented owner per structure instead of several classes agreeing to
/// lock the same public object. The node creates one guard per structure and hands it to the client and the
/// request handler that share it.
/// </summary>
/// <typeparam name="T">The guarded structure.</typeparam>
internal sealed class Guarded<T>(T value)
    where T : class
{
    private readonly Lock _lock = new();
    private readonly T _value = value ?? throw new ArgumentNullException(nameof(value));

    /// <summary>Takes the lock and gives the structure; dispose the scope (a <c>using</c> block) to release it.</summary>
    public Lock.Scope Enter(out T value)
    {
        var scope = _lock.EnterScope();
        value = _value;
        return scope;
    }
}
