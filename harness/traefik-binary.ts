// Finds or builds the Traefik binary that the data-plane tests send real requests through (TRAEFIK_BINARY
// wins; see go-tool-binary.ts).
import { componentVersions } from './component-versions.js';
import { ensureGoTool, type GoToolBinary } from './go-tool-binary.js';
import type { Progress } from './go-modules.js';

export type TraefikBinary = GoToolBinary<'TRAEFIK_BINARY'>;

const traefikModule = 'github.com/traefik/traefik/v3';

export function ensureTraefikBinary(progress: Progress): Promise<TraefikBinary> {
  const { traefik } = componentVersions;
  return ensureGoTool(
    {
      name: 'traefik',
      override: 'TRAEFIK_BINARY',
      module: traefikModule,
      version: traefik,
      command: `${traefikModule}/cmd/traefik`,
      ldflags: [`-X ${traefikModule}/pkg/version.Version=${traefik}`],
      buildNote: 'several minutes',
    },
    progress,
  );
}
