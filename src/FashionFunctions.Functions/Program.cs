using FashionFunctions.Functions.Hosting;
using FashionFunctions.Functions.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// The current model downloads while the host starts (the worker's app settings are its environment variables).
var startupFetch = StartupModelFetch.Begin(new ConfigurationBuilder().AddEnvironmentVariables().Build());

// libtorch is not loaded here: serving runs in managed code, and a training job loads it (failing with the
// reason when it cannot) when it starts.
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.UseHttpPipeline(); // inside the ASP.NET Core integration: errors are answered, rights checked, once for every function
builder.Services
    .AddApplicationInsightsTelemetryWorkerService()
    .ConfigureFunctionsApplicationInsights();
builder.Services.AddFashionFunctions(builder.Configuration);
builder.Services.AddSingleton(startupFetch);
builder.Build().Run();
