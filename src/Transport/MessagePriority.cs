namespace Overlay.Transport;

/// <summary>How urgently an outgoing frame must leave.</summary>
public enum MessagePriority
{
    /// <summary>May wait up to the batch window to be coalesced with other small frames.</summary>
    Normal,

    /// <summary>Bypasses the batch window: it and everything queued before it leave at once.</summary>
    High,
}
