import { existsSync } from 'node:fs';
import { chromium, type Browser, type LaunchOptions } from 'playwright-core';

/** Debian's chromium (installed by .ci/run); playwright-core never downloads a browser. */
export const CHROMIUM = process.env['NEUROMASK_CHROMIUM'] ?? '/usr/bin/chromium';

/** Why browser tests cannot run here, or undefined when they can. */
export function browserMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set NEUROMASK_CHROMIUM)`;
}

/**
 * Headless Chromium for tests. `--no-sandbox`: CI runs as root, where Chromium's sandbox refuses
 * to start. `webgpu` adds the flags that expose the (software, SwiftShader) WebGPU adapter.
 */
export async function launchBrowser(opts: { webgpu?: boolean } & LaunchOptions = {}): Promise<Browser> {
  const { webgpu, args = [], ...rest } = opts;
  const gpuArgs = webgpu ? ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader', '--use-webgpu-adapter=swiftshader'] : [];
  return chromium.launch({ executablePath: CHROMIUM, headless: true, ...rest, args: ['--no-sandbox', ...gpuArgs, ...args] });
}
