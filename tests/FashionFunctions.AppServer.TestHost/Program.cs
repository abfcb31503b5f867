using FashionFunctions.Testing;

// app-server <storage-connection-string>
//   serves the app's HTTP functions on a loopback port, prints "listening <base address>", and stops when its
//   standard input closes.
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: app-server <storage-connection-string>");
    return 2;
}

await using var server = await AppServer.StartAsync(args[0]);
Console.WriteLine($"listening {server.BaseAddress}");
await Console.In.ReadToEndAsync();
return 0;
