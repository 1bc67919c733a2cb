using System.Globalization;
using System.Net;
using System.Net.Sockets;

// Opens <count> connections to a control endpoint (unix:PATH or HOST:PORT) and holds them without ever
// sending a byte, as a local user without the token would to keep the owner out. Prints "held N" once
// N connections are open, or "refused REASON" when the first connect fails; then holds them until
// killed (at most <seconds>).
if (args is not ["hold", var target, var countText, var secondsText]
    || !int.TryParse(countText, CultureInfo.InvariantCulture, out var count)
    || !int.TryParse(secondsText, CultureInfo.InvariantCulture, out var seconds))
{
    Console.Error.WriteLine("usage: Overlay.Node.ControlProbe hold (unix:PATH | HOST:PORT) COUNT SECONDS");
    return 2;
}

EndPoint endpoint = target.StartsWith("unix:", StringComparison.Ordinal) ? new UnixDomainSocketEndPoint(target[5..]) : IPEndPoint.Parse(target);
var held = new List<Socket>();
for (var i = 0; i < count; i++)
{
    var socket = endpoint is UnixDomainSocketEndPoint
        ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
        : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    try
    {
        await socket.ConnectAsync(endpoint);
    }
    catch (SocketException e)
    {
        socket.Dispose();
        Console.WriteLine($"refused {e.SocketErrorCode}");
        return 1;
    }

    held.Add(socket);
}

Console.WriteLine($"held {held.Count}");
await Task.Delay(TimeSpan.FromSeconds(seconds));
foreach (var socket in held)
{
    socket.Dispose();
}

return 0;
