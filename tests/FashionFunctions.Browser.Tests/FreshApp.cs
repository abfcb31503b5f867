using FashionFunctions.Testing;

namespace FashionFunctions.Browser.Tests;

/// <summary>The app's functions on an Azurite of their own that holds nothing yet: no model, no job, no container,
/// as on a first deployment.</summary>
public sealed class FreshApp : IAsyncDisposable
{
    private readonly AzuriteProcess azurite = new();

    private FreshApp()
    {
    }

    public AppServer Server { get; private set; } = null!;

    public static async Task<FreshApp> StartAsync()
    {
        var app = new FreshApp();
        try
        {
            await app.azurite.InitializeAsync();
            app.Server = await AppServer.StartAsync(app.azurite.ConnectionString);
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        await azurite.DisposeAsync();
    }
}
