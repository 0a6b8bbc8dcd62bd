// The routers by name: the one place that knows which exist.
import type { RouterName } from '../model.js';
import { gatewayApiRouter } from './gatewayapi.js';
import { kubernetesRouter } from './kubernetes.js';
import { nginxRouter } from './nginx.js';
import { skipperRouter } from './skipper.js';
import { traefikRouter } from './traefik.js';
import type { Router } from './router.js';

const routers: Readonly<Record<RouterName, Router>> = {
  kubernetes: kubernetesRouter,
  gatewayapi: gatewayApiRouter,
  nginx: nginxRouter,
  traefik: traefikRouter,
  skipper: skipperRouter,
};

export function routerOf(name: RouterName): Router {
  return routers[name];
}

/** The annotation keys some router alone sets and unsets with the step (Router.ownedAnnotations). */
export const ownedAnnotationPrefixes: readonly string[] = Object.values(routers).flatMap(
  (router) => router.ownedAnnotations ?? [],
);
