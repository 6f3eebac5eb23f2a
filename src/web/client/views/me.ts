// The logged-in user as the shell hands it to the views (its type follows the server's api-types/auth.ts), and the
// role checks the views share. Buttons a role may not use are not drawn; the server refuses them anyway (403).
import type { Me } from '../api.js';

export type { Me };

export const mayOperate = (me: Me): boolean => me.role === 'operator' || me.role === 'admin';
export const isAdmin = (me: Me): boolean => me.role === 'admin';
