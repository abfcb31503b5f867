using FashionFunctions.Functions.Hosting;
using FashionFunctions.Testing;

// app-server <storage-connection-string>
//   serves the app's HTTP functions on a loopback port with the warm-up on, as the app runs by default; prints
//   "listening <base address>" once the warm-up has finished (so that what it loaded is in the process), and stops
//   when its standard input closes.
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: app-server <storage-connection-string>");
    return 2;
}

await using var server = await AppServer.StartAsync(args[0], new Dictionary<string, string?> { ["FashionFunctions:WarmUpOnStart"] = "true" });
await server.Get<ModelWarmUp>().Completion;
Console.WriteLine($"listening {server.BaseAddress}");
await Console.In.ReadToEndAsync();
return 0;
