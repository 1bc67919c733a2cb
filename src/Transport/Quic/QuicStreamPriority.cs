using System.Net.Quic;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace Overlay.Transport.Quic;

/// <summary>
/// Sets libmsquic's send priority of a QUIC stream. libmsquic sends the streams of a connection in
/// priority order and, among equals, drains the first stream that has data before the next (FIFO), so
/// without priorities a busy bulk stream holds the control stream's requests behind everything it has
/// buffered. System.Net.Quic in .NET 10 does not expose the setting, so this asks libmsquic itself
/// (<c>SetParam(QUIC_PARAM_STREAM_PRIORITY)</c>) through its API table, on the stream's native handle.
/// Where that is impossible (another runtime's internals) it says so once and streams keep the default
/// priority: everything still works, only control may then wait behind bulk on QUIC.
/// </summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("windows")]
[SupportedOSPlatform("macos")]
internal static unsafe class QuicStreamPriority
{
    /// <summary>The control stream: sent before any other stream's data.</summary>
    public const ushort Control = 0xFFFF;

    /// <summary>Bulk streams: sent only when no other stream has data ready.</summary>
    public const ushort Bulk = 0x0000;

    private const uint StreamPriorityParam = 0x08000003; // QUIC_PARAM_STREAM_PRIORITY, uint16_t
    private const uint ApiVersion = 2;
    private const int SetParamSlot = 3;                  // QUIC_API_TABLE: SetContext, GetContext, SetCallbackHandler, SetParam, …

    private static readonly object Gate = new();
    private static delegate* unmanaged<IntPtr, uint, uint, void*, int> _setParam;
    private static FieldInfo? _handleField;
    private static bool _resolved;

    /// <summary>Why priorities cannot be set here, or null when they can (after the first call).</summary>
    public static string? UnavailableReason { get; private set; }

    /// <summary>Gives <paramref name="stream"/> the send priority <paramref name="priority"/>; false (with <see cref="UnavailableReason"/>) when it cannot.</summary>
    public static bool TrySet(QuicStream stream, ushort priority, string? libraryPath)
    {
        if (!Resolve(libraryPath) || _handleField!.GetValue(stream) is not SafeHandle handle)
        {
            return false;
        }

        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return _setParam(handle.DangerousGetHandle(), StreamPriorityParam, sizeof(ushort), &priority) >= 0;
        }
        catch (ObjectDisposedException)
        {
            // The stream closed meanwhile; nothing left to prioritise.
            return false;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private static bool Resolve(string? libraryPath)
    {
        lock (Gate)
        {
            if (_resolved)
            {
                return _setParam != null;
            }

            _resolved = true;
            _handleField = typeof(QuicStream).GetField("_handle", BindingFlags.Instance | BindingFlags.NonPublic);
            if (_handleField is null || !typeof(SafeHandle).IsAssignableFrom(_handleField.FieldType))
            {
                UnavailableReason = "this System.Net.Quic keeps its stream handle where it cannot be found";
                return false;
            }

            // The library System.Net.Quic loaded: the configured file (already loaded by QuicSupport), else by its name.
            if (!NativeLibrary.TryLoad(libraryPath ?? (OperatingSystem.IsWindows() ? "msquic.dll" : "libmsquic.so.2"), out var library) ||
                !NativeLibrary.TryGetExport(library, "MsQuicOpenVersion", out var open))
            {
                UnavailableReason = "libmsquic's MsQuicOpenVersion could not be found";
                return false;
            }

            void* table = null;
            if (((delegate* unmanaged<uint, void**, int>)open)(ApiVersion, &table) < 0 || table == null)
            {
                UnavailableReason = "libmsquic refused to open its API table";
                return false;
            }

            _setParam = (delegate* unmanaged<IntPtr, uint, uint, void*, int>)((void**)table)[SetParamSlot];
            return true;
        }
    }
}
