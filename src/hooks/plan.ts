/** One entry point over the per-product planners. Pure. */
import { planAzure } from './azure.js';
import { planGcp } from './gcp.js';
import { planVeeam } from './veeam.js';
import { planVmware } from './vmware.js';
import type { HookPlan, HookPlanOptions, HookProduct } from './types.js';

export function planHooks(product: HookProduct, options: HookPlanOptions): HookPlan {
  switch (product) {
    case 'azure':
      return planAzure(options);
    case 'vmware':
    case 'nakivo':
      return planVmware(options, product);
    case 'veeam':
      return planVeeam(options);
    case 'gcp':
      return planGcp(options);
  }
}

/** Where a product's hooks live (paths, modes, formats), for uninstall and status; contents are placeholders. */
export function hookLayout(product: HookProduct): HookPlan {
  return planHooks(product, { snaplogCommand: ['/nonexistent/snaplog'] });
}
