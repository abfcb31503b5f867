using FashionFunctions.Functions.Hosting;
using FashionFunctions.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FashionFunctions.Functions.Tests;

/// <summary>Settings that are each in range but cannot work together stop the app at start-up, saying why.</summary>
public class LifecycleSettingsTests
{
    [Theory]
    [InlineData("90", "90")]
    [InlineData("60", "90")]
    [InlineData("120", "90")]
    public void A_heartbeat_interval_over_half_the_claim_expiry_refuses_to_start(string heartbeat, string expiry)
    {
        using var services = Build(heartbeat, expiry);

        var refused = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<FashionFunctionsOptions>>().Value);
        Assert.Contains("at least twice the heartbeat interval", refused.Message);
    }

    [Fact]
    public void The_default_timings_and_a_heartbeat_at_half_the_expiry_start()
    {
        using var services = Build("45", "90");
        Assert.Equal(45, services.GetRequiredService<IOptions<FashionFunctionsOptions>>().Value.JobHeartbeatSeconds);
        Assert.Null(new FashionFunctionsOptions().ToJobLifecycle().Inconsistency());
    }

    private static ServiceProvider Build(string heartbeat, string expiry) =>
        FunctionsApp.BuildServices("UseDevelopmentStorage=true", new Dictionary<string, string?>
        {
            ["FashionFunctions:JobHeartbeatSeconds"] = heartbeat,
            ["FashionFunctions:JobClaimExpirySeconds"] = expiry,
        }, TimeProvider.System);
}
